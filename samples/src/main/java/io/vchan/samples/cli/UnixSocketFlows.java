package io.vchan.samples.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.stream.IOResult;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.StreamConverters;
import org.apache.pekko.util.ByteString;

/**
 * UNIX-domain stream sockets as Pekko streams. Pekko 1.2's {@code Tcp} takes
 * only {@code InetSocketAddress}es, so a connected blocking
 * {@link SocketChannel} is read and written through streams on the blocking
 * I/O dispatcher, each in an island of its own so that a read waiting for the
 * socket never holds up the other direction. Not {@code Channels.newInputStream}:
 * in Java 17 its streams take the channel's blocking lock, so a waiting read
 * would block every write.
 */
final class UnixSocketFlows {

    static final String BLOCKING = "pekko.actor.default-blocking-io-dispatcher";
    private static final int CHUNK = 65536;

    private UnixSocketFlows() {
    }

    static SocketChannel connect(Path path) {
        try {
            return SocketChannel.open(UnixDomainSocketAddress.of(path));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot connect to UNIX socket " + path + ": " + e.getMessage(), e);
        }
    }

    /** Like vchan-socket-proxy, refuses a path that exists (a stale socket is its owner's to remove). */
    static ServerSocketChannel listen(Path path) {
        try {
            ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                listener.bind(UnixDomainSocketAddress.of(path));
            } catch (IOException e) {
                listener.close();
                throw e;
            }
            return listener;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on UNIX socket " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * What the peer sends, until its end of file. A read blocks until data comes:
     * closing the channel is what ends it early.
     */
    static Source<ByteString, CompletionStage<IOResult>> source(SocketChannel channel) {
        return StreamConverters.fromInputStream(() -> new InputStream() {
            @Override
            public int read() {
                throw new UnsupportedOperationException("read in chunks");
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return channel.read(ByteBuffer.wrap(b, off, len));
            }

            @Override
            public void close() {
                // the channel is closed by its owner, once both directions are done
            }
        }, CHUNK).async(BLOCKING);
    }

    /** Writes to the peer; at the end shuts down output, so the peer reads its end of file. */
    static Sink<ByteString, CompletionStage<IOResult>> sink(SocketChannel channel) {
        return StreamConverters.fromOutputStream(() -> new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            }

            @Override
            public void close() throws IOException {
                if (channel.isOpen()) {
                    channel.shutdownOutput();
                }
            }
        }).async(BLOCKING);
    }
}
