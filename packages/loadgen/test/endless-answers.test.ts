import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { HTTP_CLIENTS, runLoadWith } from "./http-clients.js";
import { startRawServer, writeForever } from "@iter8/test-utils";
import type { RawServer } from "@iter8/test-utils";

let server: RawServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Headers of a chunked response whose chunks `writeForever` then sends without end. */
const CHUNKED_HEAD =
  "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n";

function streamBodyForever(socket: Socket): void {
  socket.write(CHUNKED_HEAD);
  writeForever(socket, "1\r\nx\r\n");
}

describe.each(HTTP_CLIENTS)(
  "timeout bounds the whole exchange, headers and body (%s)",
  (httpClient) => {
    const runLoad = runLoadWith(httpClient);

    it("ends a count run against a body that never ends, each request a timeout error", async () => {
      server = await startRawServer(streamBodyForever);
      const result = await runLoad({
        url: server.url,
        qps: 0,
        connections: 1,
        numRequests: 3,
        warmupMs: 0,
        timeoutMs: 200,
      });
      expect(result.aborted).toBe(false);
      expect(result.requests).toBe(3);
      expect(result.errors).toBe(3);
      expect(result.errorClasses).toEqual({ timeout: 3 });
      expect(result.statusCodes).toEqual({});
    });

    it("frees the lane of a timed-out endless body so a duration run keeps sending", async () => {
      server = await startRawServer(streamBodyForever);
      const result = await runLoad({
        url: server.url,
        qps: 0,
        connections: 1,
        durationMs: 2000,
        warmupMs: 0,
        timeoutMs: 100,
      });
      // About 20 requests fit; before the fix the one lane carried a single request the whole run.
      expect(result.requests).toBeGreaterThanOrEqual(2);
      expect(result.errors).toBe(result.requests);
      expect(result.errorClasses).toEqual({ timeout: result.requests });
    });

    it("ends a count run against endless 100 Continue answers, each request an error", async () => {
      server = await startRawServer((socket) =>
        writeForever(socket, "HTTP/1.1 100 Continue\r\n\r\n"),
      );
      const result = await runLoad({
        url: server.url,
        qps: 0,
        connections: 1,
        numRequests: 3,
        warmupMs: 0,
        timeoutMs: 200,
      });
      expect(result.requests).toBe(3);
      expect(result.errors).toBe(3);
      expect(result.statusCodes).toEqual({});
    });
  },
);
