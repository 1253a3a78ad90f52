package io.vchan.samples.cli;

/** What {@code vchan} exits with: distinct codes a script can act on. */
public final class ExitCodes {

    public static final int OK = 0;
    /** Anything not listed below. */
    public static final int FAILED = 1;
    /** Bad arguments (picocli's own code). */
    public static final int USAGE = 2;
    /** The peer was not there within the connect timeout. */
    public static final int PEER_ABSENT = 3;
    /** Xen (or xensim) refused: XenStore permissions, grants of another domain. */
    public static final int PERMISSION = 4;
    /** The peer broke the vchan protocol. */
    public static final int PROTOCOL = 5;
    /** The peer went away before the stream ended cleanly. */
    public static final int PEER_CLOSED = 6;

    private ExitCodes() {
    }
}
