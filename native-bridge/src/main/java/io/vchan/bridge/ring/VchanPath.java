package io.vchan.bridge.ring;

import io.vchan.bridge.xen.DomainId;
import java.util.regex.Pattern;

/**
 * Where a channel is published in XenStore. The conventional path is
 * {@code /local/domain/<server>/data/vchan/<client>/<port>} (ocaml-vchan's);
 * libxenvchan also accepts a relative one, resolved under the caller's own
 * domain directory.
 */
public final class VchanPath {

    /**
     * libxenvchan builds {@code <path>/event-channel} in a 64-byte buffer, so a
     * longer path is silently truncated there: 63 − 14 = 49 characters at most.
     */
    public static final int MAX_LENGTH = 49;
    /** Port names: what XenStore allows in one path element, less '@'. */
    private static final Pattern PORT = Pattern.compile("[a-zA-Z0-9_-]+");
    private static final Pattern PATH = Pattern.compile("/?[a-zA-Z0-9_-]+(/[a-zA-Z0-9_-]+)*");

    private VchanPath() {
    }

    /** The conventional path, validated. */
    public static String conventional(DomainId server, DomainId client, String port) {
        validatePort(port);
        String path = "/local/domain/" + server.value() + "/data/vchan/" + client.value() + "/" + port;
        if (path.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("vchan port name '" + port + "' is too long: path " + path
                    + " has " + path.length() + " characters, at most " + MAX_LENGTH
                    + " fit libxenvchan's 64-byte key buffer (" + (MAX_LENGTH - (path.length() - port.length()))
                    + " for the port name between these domains)");
        }
        return path;
    }

    public static void validatePort(String port) {
        if (port == null || !PORT.matcher(port).matches()) {
            throw new IllegalArgumentException("invalid vchan port name '" + port
                    + "': use one or more of [a-zA-Z0-9_-]");
        }
    }

    /** Checks an explicit path: XenStore's characters, no empty elements, libxenvchan's length. */
    public static String validate(String path) {
        if (path == null || !PATH.matcher(path).matches()) {
            throw new IllegalArgumentException("invalid XenStore path '" + path
                    + "': elements of [a-zA-Z0-9_-] separated by single '/'");
        }
        if (path.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("XenStore path '" + path + "' has " + path.length()
                    + " characters, at most " + MAX_LENGTH + " fit libxenvchan's 64-byte key buffer");
        }
        return path;
    }
}
