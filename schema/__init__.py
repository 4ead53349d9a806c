"""The GraphQL layer (Strawberry types, queries, mutations). Built in the GraphQL issue."""
