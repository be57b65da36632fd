// A stand-in database: it warms up, says it is ready, then idles until told to stop.
const say = (text) => console.log(text);
say('db: replaying the write-ahead log...');
setTimeout(() => say('db: accepting connections'), 400);
const idle = setInterval(() => {}, 1000);
process.on('SIGTERM', () => {
  say('db: SIGTERM received, checkpointing and shutting down');
  clearInterval(idle);
});
