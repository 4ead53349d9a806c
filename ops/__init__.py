"""Operations tooling outside the domain: the local Neo4j launcher for development, tests and
benchmarks."""
