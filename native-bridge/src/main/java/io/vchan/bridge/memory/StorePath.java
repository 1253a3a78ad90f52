package io.vchan.bridge.memory;

import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.Errno;
import io.vchan.bridge.xen.XenException;

/** XenStore path rules, as xenstored (and xensim) apply them. */
final class StorePath {

    static final int ABSOLUTE_MAX = 3072;
    static final int RELATIVE_MAX = 2048;

    private StorePath() {
    }

    /** {@code /local/domain/<id>}: where a domain's relative paths resolve. */
    static String home(DomainId domain) {
        return "/local/domain/" + domain.value();
    }

    /**
     * The absolute form of {@code path} for {@code self}; EINVAL if it is empty,
     * has characters outside {@code [A-Za-z0-9_@/-]}, an empty element or a
     * trailing '/', or is too long.
     */
    static String absolute(String path, DomainId self, String call) throws XenException {
        if (path == null || path.isEmpty() || !validCharacters(path) || path.contains("//")) {
            throw invalid(path, call);
        }
        if (path.charAt(0) == '/') {
            if (path.length() > ABSOLUTE_MAX || (path.length() > 1 && path.endsWith("/"))) {
                throw invalid(path, call);
            }
            return path;
        }
        String abs = home(self) + "/" + path;
        if (path.length() > RELATIVE_MAX || path.endsWith("/") || abs.length() > ABSOLUTE_MAX) {
            throw invalid(path, call);
        }
        return abs;
    }

    private static XenException invalid(String path, String call) {
        return new XenException(call, Errno.EINVAL, "invalid XenStore path '" + path + "'");
    }

    private static boolean validCharacters(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '/' || c == '_' || c == '@';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** True if {@code path} is {@code top} or below it. */
    static boolean atOrBelow(String path, String top) {
        if (top.equals("/")) {
            return path.startsWith("/");
        }
        return path.startsWith(top) && (path.length() == top.length() || path.charAt(top.length()) == '/');
    }

    /** The parent of an absolute path other than "/". */
    static String parent(String abs) {
        int slash = abs.lastIndexOf('/');
        return slash == 0 ? "/" : abs.substring(0, slash);
    }

    static String child(String abs, String name) {
        return abs.equals("/") ? "/" + name : abs + "/" + name;
    }
}
