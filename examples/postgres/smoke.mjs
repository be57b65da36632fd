// The main process: it asks the web server for the items the migration put in the database,
// and exits 0 only when they come back. Its exit ends the run.
const base = `http://127.0.0.1:${process.env.PORT ?? 8080}`;

async function get(path) {
  const response = await fetch(`${base}${path}`);
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${path} -> ${response.status} ${text.trim()}`);
  console.log(`smoke: GET ${path} -> ${response.status}`);
  return JSON.parse(text);
}

try {
  const health = await get('/health');
  if (health.ok !== true) throw new Error(`unhealthy: ${JSON.stringify(health)}`);
  const items = await get('/items');
  const names = items.map((item) => item.name);
  if (names.join(',') !== 'teapot,kettle,mug') throw new Error(`unexpected items: ${JSON.stringify(items)}`);
  console.log(`smoke: ${items.length} items from the database: ${names.join(', ')}`);
  console.log('smoke: all checks passed');
} catch (error) {
  console.error(`smoke: FAILED: ${error.message}`);
  process.exitCode = 1;
}
