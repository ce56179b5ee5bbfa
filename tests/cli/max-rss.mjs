// Preloaded (`node --import`) by tests that bound the CLI's memory: on exit, the process's peak resident
// set size (worker threads included) is written to stderr as the last line, `max-rss-kb <n>`.
process.on('exit', () => {
  process.stderr.write(`\nmax-rss-kb ${process.resourceUsage().maxRSS}\n`);
});
