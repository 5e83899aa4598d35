"""Dense search at scale: a synthetic 200,000-chunk index, exact (flat) vs approximate (HNSW, IVF).

Vectors are clustered Gaussian noise in 384 dimensions (the MiniLM size), normalised: real embeddings
cluster by topic, and uniform noise would make approximate search look worse than it is. Queries are
perturbed copies of indexed vectors. One thread, as the product searches one query at a time.

Usage: python -m benchmarks.scale [--n 200000]
"""

from __future__ import annotations

import argparse
import time

import faiss
import numpy as np


def _data(n: int, dim: int, queries: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    centres = rng.standard_normal((max(n // 200, 1), dim)).astype(np.float32)
    x = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal((n, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    q = x[rng.integers(0, n, queries)] + 0.3 * rng.standard_normal((queries, dim)).astype(np.float32)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    return x, q


def _time_search(index: faiss.Index, q: np.ndarray, k: int) -> tuple[np.ndarray, float, float]:
    found = np.zeros((len(q), k), dtype=np.int64)
    times = []
    for i in range(len(q)):
        started = time.perf_counter()
        _, ids = index.search(q[i : i + 1], k)
        times.append((time.perf_counter() - started) * 1000)
        found[i] = ids[0]
    times.sort()
    return found, times[len(times) // 2], times[int(len(times) * 0.95)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    dim, k = 384, 10
    x, q = _data(args.n, dim, args.queries, np.random.default_rng(7))
    faiss.omp_set_num_threads(2)  # build with both cores
    flat = faiss.IndexFlatIP(dim)
    flat.add(x)
    hnsw = faiss.IndexHNSWFlat(dim, 32)  # L2 on unit vectors: the same ranking as cosine
    hnsw.hnsw.efConstruction = 40
    started = time.perf_counter()
    hnsw.add(x)
    hnsw_build = time.perf_counter() - started
    quantiser = faiss.IndexFlatIP(dim)
    ivf = faiss.IndexIVFFlat(quantiser, dim, 1024, faiss.METRIC_INNER_PRODUCT)
    started = time.perf_counter()
    ivf.train(x[:50_000])
    ivf.add(x)
    ivf_build = time.perf_counter() - started
    faiss.omp_set_num_threads(1)

    truth, p50, p95 = _time_search(flat, q, k)
    print(f"{args.n} vectors x {dim} dims, {args.queries} queries, k={k}")
    print(
        f"flat          p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  recall@10 1.000  build 0 s  "
        f"({x.nbytes / 2**20:.0f} MiB)"
    )
    for label, index, setter, values, build in (
        ("hnsw ef=", hnsw, lambda v: setattr(hnsw.hnsw, "efSearch", v), (32, 64, 128), hnsw_build),
        ("ivf nprobe=", ivf, lambda v: setattr(ivf, "nprobe", v), (8, 16, 32), ivf_build),
    ):
        for value in values:
            setter(value)
            found, p50, p95 = _time_search(index, q, k)
            recall = np.mean([len(set(found[i]) & set(truth[i])) / k for i in range(len(q))])
            print(
                f"{label + str(value):<14}p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  recall@10 {recall:.3f}  "
                f"build {build:.0f} s"
            )


if __name__ == "__main__":
    main()
