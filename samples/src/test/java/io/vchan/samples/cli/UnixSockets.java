package io.vchan.samples.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;

/** The UNIX-socket ends of the proxy tests (here and on real Xen): connect, write all, read exactly. */
public final class UnixSockets {

    private UnixSockets() {
    }

    /** Connects once something listens at {@code path}; the last refusal if nothing does by {@code deadlineNanos}. */
    public static SocketChannel connectWhenListening(Path path, long deadlineNanos)
            throws IOException, InterruptedException {
        while (true) {
            try {
                return SocketChannel.open(UnixDomainSocketAddress.of(path));
            } catch (IOException notYet) {
                if (System.nanoTime() > deadlineNanos) {
                    throw new IOException("nothing listens on " + path, notYet);
                }
                Thread.sleep(20); // polling a condition with a deadline
            }
        }
    }

    /** Writes all of {@code data} (blocking); unchecked, for a writer running beside a reader. */
    public static void writeFully(SocketChannel channel, byte[] data) {
        try {
            ByteBuffer buf = ByteBuffer.wrap(data);
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Exactly {@code n} bytes, or an exception saying where the stream ended. */
    public static byte[] readExactly(SocketChannel channel, int n) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(n);
        while (buf.hasRemaining()) {
            if (channel.read(buf) < 0) {
                throw new IOException("end of stream after " + buf.position() + " of " + n + " bytes");
            }
        }
        return buf.array();
    }
}
