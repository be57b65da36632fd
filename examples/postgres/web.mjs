// A small web server that reads from PostgreSQL through psql (PGHOST, PGUSER and PGDATABASE come
// from the environment): no driver to install. /health asks the database too.
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8080);

/** Runs one query with psql; resolves with its unaligned, tuples-only output. */
function query(sql) {
  return new Promise((resolve, reject) => {
    execFile('psql', ['-X', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { timeout: 5000 }, (error, stdout, stderr) =>
      error ? reject(new Error(stderr.trim() || error.message)) : resolve(stdout.trim()),
    );
  });
}

const routes = {
  '/health': async () => ({ ok: (await query('select 1')) === '1' }),
  '/items': async () => JSON.parse(await query("select coalesce(json_agg(i order by i.id), '[]') from items i")),
};

const server = createServer((request, response) => {
  const route = routes[request.url ?? ''];
  if (route === undefined) {
    response.writeHead(404).end('not found\n');
    return;
  }
  route().then(
    (body) => {
      console.log(`web: ${request.method} ${request.url} -> 200`);
      response.writeHead(200, { 'content-type': 'application/json' }).end(`${JSON.stringify(body)}\n`);
    },
    (error) => {
      console.error(`web: ${request.method} ${request.url} -> 503: ${error.message}`);
      response.writeHead(503).end(`${error.message}\n`);
    },
  );
});
server.listen(port, '127.0.0.1', () => console.log(`web: listening on http://127.0.0.1:${port}`));
process.on('SIGTERM', () => {
  console.log('web: SIGTERM received, closing the server');
  server.close(() => process.exit(0));
  server.closeIdleConnections();
});
