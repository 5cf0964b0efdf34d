#!/usr/bin/env bash
# kafka-consumer-groups.sh: Kafka's flags and output, talking to brokers through Confluent.Kafka (src/Samsa.Cli).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
exec "$here/samsa-run-class.sh" Samsa.Cli kafka-consumer-groups "$@"
