// hello.js: Node's http module hello-world for bench/http/run.sh.
//   node bench/http/hello.js [PORT]
const http = require('http');

const port = Number(process.argv[2] || 8082);

http.createServer((req, res) => {
  res.writeHead(200, {'Content-Type': 'text/plain; charset=utf-8'});
  res.end('Hello, World!');
}).listen(port, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${port}`);
});
