// Finds the Chromium that browser and e2e tests drive: $CHROMIUM_PATH, then /usr/bin/chromium.
// Playwright cannot download its own browser on this network, so we use Debian's.
import { existsSync } from 'node:fs';

export const INSTALL_HINT =
  'sudo apt-get install -y chromium   (or set CHROMIUM_PATH to a Chromium/Chrome binary)';

/** Flags that work headless as root, keep Chromium off the network, and turn on WebGPU. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--headless=new',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-angle=swiftshader',
];

export function findChromium() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    Boolean,
  );
  return candidates.find((p) => existsSync(p)) ?? null;
}

export function requireChromium() {
  const path = findChromium();
  if (!path) {
    console.error(
      `No Chromium found (looked at $CHROMIUM_PATH and /usr/bin/chromium). Install it with:\n  ${INSTALL_HINT}`,
    );
    process.exit(1);
  }
  return path;
}
