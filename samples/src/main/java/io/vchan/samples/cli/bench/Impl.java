package io.vchan.samples.cli.bench;

/** What is measured: the four implementations the issue compares. */
enum Impl {
    FLOW("a", "connector Flow<->Flow", "flow"),
    RAW("b", "native-bridge raw", "raw"),
    C("c", "libxenvchan (C)", null),
    TCP("d", "Pekko Tcp 127.0.0.1", "tcp");

    final String letter;
    final String title;
    /** {@code bench-peer --impl}, or null for the C driver. */
    final String peerImpl;

    Impl(String letter, String title, String peerImpl) {
        this.letter = letter;
        this.title = title;
        this.peerImpl = peerImpl;
    }

    String label() {
        return "(" + letter + ") " + title;
    }
}
