import cliProgress from 'cli-progress';

/** How a command reports: progress bars on a terminal, plain lines otherwise, nothing but JSON with --json. */
export interface Output {
  json: boolean;
  /** A human line on stderr (suppressed with --json). */
  info(line: string): void;
  /** The command's result on stdout. */
  result(text: string): void;
  progress(label: string): Progress;
}

export interface Progress {
  update(done: number, total: number | undefined, detail: string): void;
  stop(): void;
}

const colourEnabled = () => !process.env.NO_COLOR && process.stdout.isTTY === true;

export function bold(text: string): string {
  return colourEnabled() ? `\u001b[1m${text}\u001b[22m` : text;
}

export function dim(text: string): string {
  return colourEnabled() ? `\u001b[2m${text}\u001b[22m` : text;
}

export function createOutput(json: boolean): Output {
  const tty = process.stderr.isTTY === true && !json;
  return {
    json,
    info: (line) => {
      if (!json) process.stderr.write(`${line}\n`);
    },
    result: (text) => {
      process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    },
    progress: (label) => {
      if (json) return { update: () => {}, stop: () => {} };
      if (tty) {
        const bar = new cliProgress.SingleBar(
          {
            format: `${label} [{bar}] {value}/{total} {detail} | ETA {eta_formatted}`,
            hideCursor: true,
            clearOnComplete: false,
            noTTYOutput: false,
          },
          process.env.NO_COLOR ? cliProgress.Presets.legacy : cliProgress.Presets.shades_classic,
        );
        let started = false;
        return {
          update: (done, total, detail) => {
            if (!started) {
              bar.start(total ?? done, done, { detail });
              started = true;
            }
            if (total !== undefined) bar.setTotal(total);
            else if (done > bar.getTotal()) bar.setTotal(done);
            bar.update(done, { detail });
          },
          stop: () => {
            if (started) bar.stop();
          },
        };
      }
      // Not a terminal (cron, CI): a plain line at most every 2 seconds.
      let last = 0;
      return {
        update: (done, total, detail) => {
          const now = Date.now();
          if (now - last < 2000) return;
          last = now;
          process.stderr.write(`${label}: ${done}${total === undefined ? '' : `/${total}`} ${detail}\n`);
        },
        stop: () => {},
      };
    },
  };
}
