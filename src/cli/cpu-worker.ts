/**
 * Worker thread of the CPU pool (thread-pool.ts): runs spectrumCpu on each matrix it is sent and transfers
 * the eigenvalues back. Synchronous inside: cancellation is the pool terminating this thread.
 */
import { parentPort } from 'node:worker_threads';
import { toErrorData } from '../core/errors';
import { inputValues } from '../core/linalg/backend';
import { spectrumCpu } from '../core/linalg/spectrum-cpu';
import type { CpuJobMessage, CpuReadyMessage, CpuReplyMessage, CpuStartedMessage } from './thread-pool';

const port = parentPort;
if (port === null) throw new Error('cpu-worker.ts must run as a worker thread (see thread-pool.ts).');

port.on('message', (message: CpuJobMessage) => {
  const started: CpuStartedMessage = { started: message.id };
  port.postMessage(started);
  let reply: CpuReplyMessage;
  try {
    const { input } = message;
    const result = spectrumCpu(inputValues(input), input.rows, input.cols);
    reply = { id: message.id, ok: true, result };
    port.postMessage(reply, [result.eigenvalues.buffer as ArrayBuffer]);
  } catch (err) {
    reply = { id: message.id, ok: false, error: toErrorData(err) };
    port.postMessage(reply);
  }
});

const ready: CpuReadyMessage = { ready: true };
port.postMessage(ready);
