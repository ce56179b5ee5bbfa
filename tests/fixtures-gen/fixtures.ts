/** Paths to the shared read-only fixtures and in-memory sources made from them. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { bytesSource, type ByteSource } from '../../src/core/source';

export const FIXTURES = path.resolve(process.cwd(), '../shared/fixtures');
export const STORIES = path.join(FIXTURES, 'models/stories260K');

export function fixtureBytes(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(FIXTURES, rel)));
}

/** A fixture as an in-memory source named by its base name (or `name`). */
export function fixtureSource(rel: string, name = path.basename(rel)): ByteSource {
  return bytesSource(name, fixtureBytes(rel));
}
