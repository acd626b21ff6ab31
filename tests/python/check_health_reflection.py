"""Stock gRPC client check of a running HQ: health SERVING and services listed by reflection.

Usage: python check_health_reflection.py HOST:PORT
Needs grpcio, grpcio-health-checking and grpcio-reflection (deploy/test.sh installs them).
Prints one line per finding; exits non-zero when HQ does not look right to a stock client.
"""

import sys

import grpc
from google.protobuf import descriptor_pool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)

EXPECTED_SERVICES = {"branchline.v1.Transfer", "branchline.v1.Admin", "grpc.health.v1.Health"}


def main(address: str) -> int:
    channel = grpc.insecure_channel(address)
    grpc.channel_ready_future(channel).result(timeout=30)

    health = health_pb2_grpc.HealthStub(channel)
    for service in ["", "branchline.v1.Transfer", "branchline.v1.Admin"]:
        reply = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=10)
        status = health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status)
        print(f"health {service or '(server)'}: {status}")
        if status != "SERVING":
            return 1

    database = ProtoReflectionDescriptorDatabase(channel)
    services = set(database.get_services())
    for service in sorted(services):
        print(f"reflection service: {service}")
    missing = EXPECTED_SERVICES - services
    if missing:
        print(f"missing services: {sorted(missing)}")
        return 1

    pool = descriptor_pool.DescriptorPool(database)
    transfer = pool.FindServiceByName("branchline.v1.Transfer")
    methods = sorted(method.name for method in transfer.methods)
    print(f"branchline.v1.Transfer methods: {', '.join(methods)}")
    if "Push" not in methods or "Hello" not in methods:
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
