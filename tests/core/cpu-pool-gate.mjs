/**
 * The gate of gated-cpu-worker.mjs: imported before the real worker module, so that its message handler
 * is registered first and runs first for every job. Each job reports itself started ({ started: id }, a
 * CpuStartedMessage), then waits until the gate (workerData: a SharedArrayBuffer, Int32 slot 0; 0 = closed,
 * 1 = open) opens.
 */
import { parentPort, workerData } from 'node:worker_threads';

const port = parentPort;
if (port === null || !(workerData instanceof SharedArrayBuffer)) {
  throw new Error('cpu-pool-gate.mjs runs in a CPU pool worker with a SharedArrayBuffer gate.');
}
const gate = new Int32Array(workerData);

port.on('message', (message) => {
  port.postMessage({ started: message.id });
  // Short waits in a loop: the thread stays terminable between them while the gate is closed.
  while (Atomics.load(gate, 0) === 0) Atomics.wait(gate, 0, 0, 20);
});
