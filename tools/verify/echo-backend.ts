/**
 * The stand-in for every backend behind the routes in `identity.sh`: answers any request with
 * 200 and a JSON echo of the Host, the path and the identity headers the forwardAuth
 * middleware passed on (`X-Auth-Request-*`; `Authorization` and `Cookie` present or not), so the
 * checks see which route answered, as whom, and what reached it.
 *
 *     npx tsx tools/verify/echo-backend.ts HOST PORT
 */
import * as http from "node:http";

const [host, port] = process.argv.slice(2);

const server = http.createServer((req, res) => {
    const identity = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => k.startsWith("x-auth-request-")),
    );
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(
        JSON.stringify({
            backend: "echo",
            host: req.headers.host,
            method: req.method,
            path: req.url,
            identity,
            authorization: req.headers.authorization !== undefined,
            cookie: req.headers.cookie !== undefined,
        }) + "\n",
    );
});
server.listen(Number(port), host, () =>
    process.stdout.write(JSON.stringify({ event: "ready", host, port: Number(port) }) + "\n"),
);
