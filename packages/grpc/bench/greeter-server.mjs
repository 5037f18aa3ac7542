/* global process, Buffer */
// A grpc-js Greeter server (helloworld.Greeter/SayHello) for the CPU measurement; prints its port.
import grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";

const root = protobuf.parse(`syntax = "proto3"; package helloworld;
message HelloRequest { string name = 1; } message HelloReply { string message = 1; }
service Greeter { rpc SayHello (HelloRequest) returns (HelloReply); }`).root;
const Req = root.lookupType("helloworld.HelloRequest");
const Rep = root.lookupType("helloworld.HelloReply");
const server = new grpc.Server();
server.addService(
  {
    SayHello: {
      path: "/helloworld.Greeter/SayHello",
      requestStream: false,
      responseStream: false,
      requestSerialize: (m) => Buffer.from(Req.encode(m).finish()),
      requestDeserialize: (b) => Req.decode(b),
      responseSerialize: (m) => Buffer.from(Rep.encode(m).finish()),
      responseDeserialize: (b) => Rep.decode(b),
    },
  },
  { SayHello: (call, cb) => cb(null, { message: `Hello ${call.request.name}` }) },
);
server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  process.stdout.write(`${port}\n`);
});
