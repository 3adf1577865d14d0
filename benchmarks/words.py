"""PPMI-SVD word vectors against gensim's Word2Vec on the same corpus (chapter 7).

Goal: PPMI-SVD's Spearman rho on WordSim353 and SimLex-999 at least Word2Vec's on the
same corpus, in less wall time.

Corpus: the State of the Union addresses and the Brown corpus (svdlab.datasets),
tokenized with svdlab.text.tokenize: 2.8 M tokens. Both models get the same token
lists (documents cut into chunks of 10 000 tokens, gensim's sentence limit), the same
vocabulary rule (min_count=5: 19 078 words), the same window (5) and dimension (300),
and both use 2 threads or cores. Settings are the general defaults of Levy, Goldberg &
Dagan (2015) for PPMI-SVD (harmonic window weights, alpha=0.75, eigenvalue weight 0.5)
and gensim's defaults for Word2Vec (5 epochs, 5 negative samples), nothing tuned per
benchmark. Wall time covers vocabulary, counting and fitting (not tokenization), all
in this one process. Every model is scored by the same svdlab.text.WordVectors code.

    python benchmarks/words.py
"""

from __future__ import annotations

import time

from gensim.models import Word2Vec
from threadpoolctl import threadpool_limits

from svdlab.datasets import load_analogy_questions, load_brown, load_sotu, load_word_similarity
from svdlab.text import SVDEmbedding, WordVectors, build_vocab, cooccurrence, ppmi, tokenize

DIM, WINDOW, MIN_COUNT, THREADS = 300, 5, 5, 2


def corpus():
    docs = [tokenize(t) for t in load_sotu().texts] + [tokenize(t) for t in load_brown().texts]
    return [d[i:i + 10_000] for d in docs for i in range(0, len(d), 10_000)]


def ppmi_svd(docs, eig_weight=0.5):
    t = time.perf_counter()
    with threadpool_limits(THREADS):
        vocab = build_vocab(docs, min_count=MIN_COUNT)
        P = ppmi(cooccurrence(docs, vocab, window=WINDOW), alpha=0.75)
        emb = SVDEmbedding(dim=DIM, eig_weight=eig_weight, random_state=0).fit(P, words=vocab.words)
    return emb.wv_, time.perf_counter() - t


def word2vec(docs, sg):
    t = time.perf_counter()
    m = Word2Vec(docs, vector_size=DIM, window=WINDOW, min_count=MIN_COUNT, sg=sg,
                 workers=THREADS, seed=0, epochs=5)
    return WordVectors(m.wv.vectors, m.wv.index_to_key), time.perf_counter() - t


def main():
    docs = corpus()
    ws, sl = load_word_similarity("wordsim353"), load_word_similarity("simlex999")
    questions = load_analogy_questions()
    print(f"corpus: {sum(map(len, docs)):,} tokens; dim={DIM}, window={WINDOW}, "
          f"min_count={MIN_COUNT}, {THREADS} threads\n")
    rows = []
    for name, fit in [("PPMI-SVD (p=0.5)", lambda: ppmi_svd(docs, 0.5)),
                      ("PPMI-SVD (p=0)", lambda: ppmi_svd(docs, 0.0)),
                      ("Word2Vec CBOW", lambda: word2vec(docs, 0)),
                      ("Word2Vec skip-gram", lambda: word2vec(docs, 1))]:
        wv, seconds = fit()
        r_ws, r_sl = wv.evaluate_similarity(*ws), wv.evaluate_similarity(*sl)
        add = wv.evaluate_analogies(questions, method="3cosadd")
        mul = wv.evaluate_analogies(questions, method="3cosmul")
        rows.append((name, r_ws.rho, r_sl.rho, add.accuracy, mul.accuracy, seconds))
        print(f"  done {name} ({seconds:.1f} s)", flush=True)
    print(f"\ncoverage: WordSim353 {r_ws.coverage:.0%}, SimLex-999 {r_sl.coverage:.0%}, "
          f"analogies {add.coverage:.0%} of {add.n_questions} questions\n")
    print("| model | WS353 rho | SimLex rho | analogy 3CosAdd | analogy 3CosMul | wall s |")
    print("|---|---|---|---|---|---|")
    for name, a, b, c, d, s in rows:
        print(f"| {name} | {a:.3f} | {b:.3f} | {c:.3f} | {d:.3f} | {s:.1f} |")
    svd = rows[0]
    for w2v in rows[2:]:
        ok = svd[1] >= w2v[1] and svd[2] >= w2v[2] and svd[5] < w2v[5]
        print(f"goal vs {w2v[0]}: rho WS {svd[1]:.3f} >= {w2v[1]:.3f}, SimLex {svd[2]:.3f} >= "
              f"{w2v[2]:.3f}, time {svd[5]:.1f} s < {w2v[5]:.1f} s ({w2v[5] / svd[5]:.1f}x): "
              f"{'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()
