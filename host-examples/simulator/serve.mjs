// Serves the built simulator (dist/, from `vite build`) on 127.0.0.1 until interrupted, and prints
// its URL once it is listening. No dependencies: `node serve.mjs` (PORT and HOST change where).

import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(new URL("dist", import.meta.url)));
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? "127.0.0.1";
const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
};

if (!existsSync(join(root, "index.html"))) {
  console.error(`nothing to serve: ${root} has no index.html (run scripts/build-simulator.sh)`);
  process.exit(1);
}

const server = createServer((req, res) => {
  let path;
  try {
    path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
  } catch {
    res.writeHead(400).end();
    return;
  }
  let file = resolve(root, "." + sep + path);
  if (file !== root && !file.startsWith(root + sep)) {
    res.writeHead(403).end();
    return;
  }
  if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
  if (!existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    return;
  }
  res.writeHead(200, { "content-type": types[extname(file)] ?? "application/octet-stream", "cache-control": "no-cache" });
  createReadStream(file).pipe(res);
});

server.on("error", (e) => {
  console.error(e.code === "EADDRINUSE" ? `port ${port} on ${host} is in use: set PORT to another one` : String(e));
  process.exit(1);
});
server.listen(port, host, () => {
  console.log(`Simulator: http://${host}:${server.address().port}/`);
  console.log("Serving until interrupted (Ctrl-C).");
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
