/**
 * examples/weekly-reindex's distributed files (issue #17): the systemd units and the Kubernetes manifests parse, the
 * schedules agree with the single-process ones (Sundays 03:00), and every command is a valid `winnow` invocation
 * (parsed by the real program, not run: the end-to-end runs are test/distributed.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfigText } from '@winnow/core';
import { describe, expect, it } from 'vitest';
import { isValidCronSchedule, parseUnitFile, parseWinnow, winnowArgv } from './support/schedules.js';

const DIR = join(import.meta.dirname, '..', 'examples', 'weekly-reindex');
const read = (name: string) => readFileSync(join(DIR, name), 'utf8');

interface Container {
  name: string;
  command: string[];
  env: { name: string }[];
  volumeMounts: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  terminationGracePeriodSeconds?: number;
}

describe('examples/weekly-reindex: distributed reindex', () => {
  it('systemd: a weekly planner and a worker template, valid winnow commands', async () => {
    const timer = parseUnitFile(read('winnow-planner.timer'));
    expect(timer.Timer?.OnCalendar).toBe('Sun *-*-* 03:00:00');
    const planner = parseUnitFile(read('winnow-planner.service'));
    expect(planner.Service).toMatchObject({ Type: 'oneshot', SuccessExitStatus: '3' });
    const plannerRun = await parseWinnow(winnowArgv(planner.Service?.ExecStart ?? ''));
    expect(plannerRun.options).toMatchObject({ distributed: true, json: true });
    const worker = parseUnitFile(read('winnow-worker@.service'));
    expect(worker.Service).toMatchObject({ Type: 'simple', KillSignal: 'SIGTERM', Restart: 'on-failure' });
    const workerArgv = winnowArgv(worker.Service?.ExecStart ?? '');
    expect(workerArgv[0]).toBe('worker');
    expect((await parseWinnow(workerArgv)).options).toMatchObject({ concurrency: 1, batchSize: 16 });
  });

  it('Kubernetes: a CronJob planner and a Deployment of workers sharing the documents path', async () => {
    const cron = parseConfigText(read('planner-cronjob.yaml'), 'planner-cronjob.yaml') as {
      kind: string;
      spec: { schedule: string; concurrencyPolicy: string; jobTemplate: { spec: { template: { spec: PodSpec } } } };
    };
    expect(cron.kind).toBe('CronJob');
    expect(isValidCronSchedule(cron.spec.schedule)).toBe(true);
    expect(cron.spec.schedule).toBe('0 3 * * 0');
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    const planner = cron.spec.jobTemplate.spec.template.spec.containers[0] as Container;
    expect(planner.command[0]).toBe('winnow');
    const plan = await parseWinnow(planner.command.slice(1));
    expect(plan.options).toMatchObject({ distributed: true, json: true, config: '/etc/winnow/winnow.config.yaml' });
    expect(plan.operands[0]).toBe('/data/docs');

    const deployment = parseConfigText(read('workers-deployment.yaml'), 'workers-deployment.yaml') as {
      kind: string;
      spec: { replicas: number; template: { spec: PodSpec } };
    };
    expect(deployment.kind).toBe('Deployment');
    expect(deployment.spec.replicas).toBeGreaterThan(1);
    const pod = deployment.spec.template.spec;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(0);
    const worker = pod.containers[0] as Container;
    const work = await parseWinnow(worker.command.slice(1));
    expect(worker.command.slice(0, 2)).toEqual(['winnow', 'worker']);
    expect(work.options).toMatchObject({ config: '/etc/winnow/winnow.config.yaml' });
    // Jobs name files by URI: workers must see the tree where the planner walked it.
    const docsMount = (c: Container) => c.volumeMounts.find((m) => m.name === 'docs')?.mountPath;
    expect(docsMount(planner)).toBe(plan.operands[0]);
    expect(docsMount(worker)).toBe(plan.operands[0]);
    for (const container of [planner, worker]) {
      expect(container.env.map((e) => e.name)).toEqual(expect.arrayContaining(['DATABASE_URL', 'WINNOW_MODELS']));
    }
  });
});
