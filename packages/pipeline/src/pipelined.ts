/**
 * Runs a producer and a consumer at once over a queue of at most `capacity` items, in order: the producer waits
 * while the queue is full, the consumer while it is empty. Used by the indexer so that documents are loaded and
 * chunked while the previous batch is embedded (onnxruntime's threads) and written.
 *
 * Failures: when the consumer fails, the producer's next `push` throws the same error and nothing more is consumed.
 * `stopped()` tells a producer busy with other work (e.g. skipping unchanged sources) to end early. When the
 * producer fails, the items it already queued are still consumed (as a sequential loop would have done
 * before reaching the failure), then its error is thrown. The first failure is the one thrown.
 */
export async function pipelined<T>(
  capacity: number,
  produce: (push: (item: T) => Promise<void>, stopped: () => boolean) => Promise<void>,
  consume: (item: T) => Promise<void>,
): Promise<void> {
  const queue: T[] = [];
  let produced = false;
  let failure: { error: unknown } | undefined;
  let consumerFailed = false;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const wake = (which: 'consumer' | 'producer') => {
    const resolve = which === 'consumer' ? wakeConsumer : wakeProducer;
    if (which === 'consumer') wakeConsumer = undefined;
    else wakeProducer = undefined;
    resolve?.();
  };

  const push = async (item: T): Promise<void> => {
    while (queue.length >= capacity && !consumerFailed) {
      await new Promise<void>((resolve) => {
        wakeProducer = resolve;
      });
    }
    if (consumerFailed) throw failure?.error;
    queue.push(item);
    wake('consumer');
  };

  const producer = (async () => {
    try {
      await produce(push, () => consumerFailed);
    } catch (error) {
      failure ??= { error };
    } finally {
      produced = true;
      wake('consumer');
    }
  })();

  const consumer = (async () => {
    try {
      for (;;) {
        if (queue.length === 0) {
          if (produced) return;
          await new Promise<void>((resolve) => {
            wakeConsumer = resolve;
          });
          continue;
        }
        const item = queue.shift() as T;
        wake('producer');
        await consume(item);
      }
    } catch (error) {
      failure ??= { error };
      consumerFailed = true;
      wake('producer');
    }
  })();

  await Promise.all([producer, consumer]);
  if (failure) throw failure.error;
}
