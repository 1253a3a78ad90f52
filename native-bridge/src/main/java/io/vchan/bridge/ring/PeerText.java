package io.vchan.bridge.ring;

/**
 * What a peer wrote, made safe to put into a message or a log line: quoted,
 * every byte outside printable ASCII as {@code \xNN} (no line breaks or
 * terminal escapes from a hostile peer), and cut to a few dozen characters
 * with the full length said.
 */
public final class PeerText {

    /** Bytes shown at most; a hostile peer may write kilobytes. */
    static final int SHOWN = 32;

    private PeerText() {
    }

    /**
     * @param raw the peer's bytes
     * @return them quoted for a message, e.g. {@code '12\x0a'} or {@code 'AAAA…' (4096 bytes)}
     */
    public static String quote(byte[] raw) {
        StringBuilder b = new StringBuilder("'");
        int shown = Math.min(raw.length, SHOWN);
        for (int i = 0; i < shown; i++) {
            int c = raw[i] & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') {
                b.append((char) c);
            } else {
                b.append(String.format("\\x%02x", c));
            }
        }
        b.append(raw.length > shown ? "…'" : "'");
        if (raw.length > shown) {
            b.append(" (").append(raw.length).append(" bytes)");
        }
        return b.toString();
    }
}
