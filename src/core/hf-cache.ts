/**
 * Hugging Face hub cache folders (`~/.cache/huggingface/hub/models--org--name/`): `snapshots/<rev>/`
 * holds the checkpoint's files (links into `blobs/`, which a browser or the CLI's walk resolves to their
 * contents), `blobs/` the same bytes under hash names, `refs/main` the revision `main` points at. Dropping
 * the whole `models--org--name` folder must analyse the snapshot once: the blobs are the same files again
 * (read twice, every tensor would be a duplicate), and of several snapshots only the one `main` names.
 */
import { decodeUtf8, readRange } from './formats/bounded-read';
import type { ByteSource } from './source';

/** `<root>snapshots/<rev>/<file>`: the cache root (empty, or a path ending in "/") and the revision. */
const SNAPSHOT = /^((?:.*\/)?)snapshots\/([^/]+)\/./;
const CACHE_ONLY = /^(blobs|refs|\.no_exist)\//;

function snapshotOf(name: string): { root: string; rev: string } | null {
  const m = SNAPSHOT.exec(name);
  return m ? { root: m[1]!, rev: m[2]! } : null;
}

export interface HubCacheSelection {
  sources: ByteSource[];
  /** What was left out and why (several snapshots), for the model's warnings. */
  warnings: string[];
}

/**
 * The sources to open: with a hub cache layout, without `blobs/`, `refs/` and `.no_exist/` of a cache
 * root that has snapshots, and of several snapshots only the one `refs/main` names (all of them when
 * there is no readable `refs/main`). Without such a layout, the sources unchanged.
 */
export async function selectHubCacheFiles(
  sources: readonly ByteSource[],
  signal?: AbortSignal,
): Promise<HubCacheSelection> {
  const revisions = new Map<string, Set<string>>();
  for (const s of sources) {
    const snap = snapshotOf(s.name);
    if (snap === null) continue;
    const revs = revisions.get(snap.root) ?? new Set<string>();
    revs.add(snap.rev);
    revisions.set(snap.root, revs);
  }
  if (revisions.size === 0) return { sources: [...sources], warnings: [] };
  const warnings: string[] = [];
  const chosen = new Map<string, string>();
  for (const [root, revs] of revisions) {
    if (revs.size < 2) continue;
    const ref = sources.find((s) => s.name === `${root}refs/main`);
    const main =
      ref && ref.size < 256 ? decodeUtf8(await readRange(ref, 0, ref.size, 'refs/main', signal)).trim() : '';
    if (revs.has(main)) {
      chosen.set(root, main);
      const others = [...revs].filter((r) => r !== main).sort();
      warnings.push(
        `${root || './'}snapshots holds ${revs.size} revisions: analysing ${main} (refs/main), ignoring ${others.join(', ')}`,
      );
    }
  }
  const kept = sources.filter((s) => {
    for (const root of revisions.keys()) {
      if (!s.name.startsWith(root)) continue;
      const rest = s.name.slice(root.length);
      if (CACHE_ONLY.test(rest)) return false;
      const want = chosen.get(root);
      const snap = snapshotOf(s.name);
      if (want !== undefined && snap !== null && snap.root === root && snap.rev !== want) return false;
    }
    return true;
  });
  return { sources: kept, warnings };
}
