"""Kubernetes deployment of Ducha: manifests, images and the offline check (see README.md)."""
