/**
 * Test entry for the CPU pool (src/cli/thread-pool.ts): the real, built worker behind a gate. While the gate
 * is closed a job is certainly running and cannot finish, so a test can cancel it without racing the
 * solve; once opened, jobs pass straight through to the real solve. Static imports evaluate in order: the
 * gate's handler is registered before the real one. Plain JavaScript, as every pool worker is.
 */
import './cpu-pool-gate.mjs';
import '../../dist-cli/cpu-worker.js';
