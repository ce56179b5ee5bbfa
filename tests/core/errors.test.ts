import { describe, expect, it } from 'vitest';
import { StudioError, isStudioError, toErrorData } from '../../src/core/errors';

describe('StudioError', () => {
  it('names the file in the message and survives structured clone as data', () => {
    const err = new StudioError('TRUNCATED', 'the data ends early', 'model.safetensors');
    expect(err.message).toBe('model.safetensors: the data ends early');
    const data = structuredClone(toErrorData(err));
    expect(isStudioError(data)).toBe(true);
    expect(data.code).toBe('TRUNCATED');
    expect(data.file).toBe('model.safetensors');
  });
  it('wraps foreign errors as INTERNAL', () => {
    expect(toErrorData(new TypeError('boom')).code).toBe('INTERNAL');
    expect(isStudioError(new Error('x'))).toBe(false);
  });
});
