// Preloaded into the independent emulators (node -r): a client that closes
// its connection in the middle of a request (a test whose context was
// cancelled, a process that exited) makes dynalite throw "aborted" from a
// request's error handler and exit, failing every test after it. Such an
// error concerns one request only: log it and keep serving. Any other
// uncaught error still ends the process.
process.on('uncaughtException', (err) => {
  if (err && (err.code === 'ECONNRESET' || err.message === 'aborted')) {
    console.error(`keep-serving: a client went away mid-request (${err.message}); still serving`);
    return;
  }
  console.error(err);
  process.exit(1);
});
