// Worker thread entry of the bench lab (see bench/lab.ts): starts the servers, reports them, closes them on 'close'.
import { parentPort, workerData } from 'node:worker_threads';
import { startBenchLab, type BenchLabSpec, type LabWorkerMessage } from './lab.js';

const port = parentPort;
if (port === null) throw new Error('bench/lab-worker.js runs only as a worker thread');
const post = (message: LabWorkerMessage): void => port.postMessage(message);

try {
  const { close, ...lab } = await startBenchLab(workerData as BenchLabSpec);
  port.once('message', () => {
    void close().finally(() => {
      post({ kind: 'closed' });
      port.close();
    });
  });
  post({ kind: 'ready', lab });
} catch (error) {
  post({ kind: 'failed', message: error instanceof Error ? error.message : String(error) });
}
