// WeftMessages: Swift value types for the weft.v1, grpc.health.v1 and grpc.reflection.v1 messages,
// coded through protobuf-c. The types are generated into Generated/ by scripts/generate.
