// gRPC load from code (@iter8/grpc): start the demo app's helloworld.Greeter on a free port, load
// its unary method at a fixed rate from its .proto file, then a server-streaming method whose
// definition comes from the server's reflection service.
import { GREETER_PROTO_PATH, startGreeterServer } from "@iter8/demo-app";
import { runGrpcLoad } from "@iter8/grpc";

const greeter = await startGreeterServer({ port: 0 });
try {
  const unary = await runGrpcLoad(
    {
      host: greeter.address,
      call: "helloworld.Greeter.SayHello",
      proto: GREETER_PROTO_PATH,
      data: { name: "call {{.RequestNumber}}" },
      numRequests: 200,
      qps: 100,
      concurrency: 4,
    },
    { signal: AbortSignal.timeout(60_000) },
  );
  const p95 = unary.latency.percentile(95) / 1000;
  console.log(
    `${unary.kind} SayHello: ${unary.requests} calls, statuses ${JSON.stringify(unary.statusNames)}, ` +
      `p95 ${p95.toFixed(2)} ms`,
  );

  // No proto, protoset or protoURL: the method's definition is read by server reflection.
  const stream = await runGrpcLoad(
    {
      host: greeter.address,
      call: "helloworld.Greeter/SayHellos",
      data: { name: "stream" },
      numRequests: 20,
      qps: 0,
      concurrency: 2,
    },
    { signal: AbortSignal.timeout(60_000) },
  );
  console.log(
    `${stream.kind} SayHellos: ${stream.requests} calls, statuses ${JSON.stringify(stream.statusNames)}, ` +
      `${stream.streams?.messagesReceived ?? 0} messages received`,
  );

  if (unary.statusNames["OK"] !== 200 || stream.statusNames["OK"] !== 20) {
    console.error("expected every call to end OK");
    process.exitCode = 1;
  }
} finally {
  await greeter.close();
}
