import { expect, test } from 'vitest';
import { backendLine } from '../../src/app/components/Header';
import type { BackendInfo } from '../../workers/contract';

// The header's one line on which engine analyses: each case the worker's backend selection can produce.

const info = (over: Partial<BackendInfo>): BackendInfo => ({
  name: 'cpu',
  adapter: 'CPU (float64)',
  reason: null,
  software: false,
  ...over,
});

test('header line: WebGPU, software WebGPU used on request, and a new device after a loss', () => {
  expect(backendLine(null)).toBe('Checking for WebGPU…');
  expect(backendLine(info({ name: 'webgpu', adapter: 'nvidia h200' }))).toBe('WebGPU adapter: nvidia h200');
  expect(backendLine(info({ name: 'webgpu', adapter: 'google swiftshader', software: true }))).toBe(
    'WebGPU adapter: google swiftshader (software: correct but slow)',
  );
  expect(
    backendLine(
      info({
        name: 'webgpu',
        adapter: 'a',
        reason: 'The GPU device was lost — resumed on a new device.',
        deviceLost: true,
      }),
    ),
  ).toBe('WebGPU device lost — resumed on a new device: a');
  // The first device: whatever its reason says, no loss is claimed.
  expect(backendLine(info({ name: 'webgpu', adapter: 'a', reason: 'lost and found' }))).toBe(
    'WebGPU adapter: a',
  );
});

test('header line: the CPU without WebGPU, after a lost device, and instead of a software adapter', () => {
  expect(backendLine(info({ reason: 'navigator.gpu is undefined' }))).toBe(
    'WebGPU is unavailable — analysing on the CPU',
  );
  expect(
    backendLine(info({ reason: 'The GPU device was lost — continuing on the CPU.', deviceLost: true })),
  ).toBe('WebGPU device lost — analysing on the CPU');
  // The loss is the worker's flag, not a word in the browser's message: this adapter was never had.
  expect(backendLine(info({ reason: 'requestAdapter failed: GPU process lost at startup' }))).toBe(
    'WebGPU is unavailable — analysing on the CPU',
  );
  // A lost device whose replacement was a software adapter (passed over): the loss is what the line says.
  expect(
    backendLine(info({ reason: 'lost — software', softwareAdapter: 'google swiftshader', deviceLost: true })),
  ).toBe('WebGPU device lost — analysing on the CPU');
  expect(backendLine(info({ reason: 'software', softwareAdapter: 'google swiftshader' }))).toBe(
    'WebGPU adapter: google swiftshader (software) — analysing on the CPU, which is faster here',
  );
});
