package io.vchan.bridge.xen;

/** The errno values Xen's libraries report, by name, for messages a person can read. */
public final class Errno {

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    public static final int EBADF = 9;
    public static final int E2BIG = 7;
    public static final int EAGAIN = 11;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EEXIST = 17;
    public static final int EINVAL = 22;
    public static final int ENOSPC = 28;
    public static final int ENOSYS = 38;
    public static final int ECONNREFUSED = 111;

    private Errno() {
    }

    public static String describe(int errno) {
        String name = switch (errno) {
            case EPERM -> "EPERM operation not permitted";
            case ENOENT -> "ENOENT no such entry";
            case ESRCH -> "ESRCH no such domain";
            case EINTR -> "EINTR interrupted";
            case EIO -> "EIO input/output error";
            case EBADF -> "EBADF bad file descriptor";
            case E2BIG -> "E2BIG too big";
            case EAGAIN -> "EAGAIN try again";
            case ENOMEM -> "ENOMEM out of memory";
            case EACCES -> "EACCES permission denied";
            case EEXIST -> "EEXIST already exists";
            case EINVAL -> "EINVAL invalid argument";
            case ENOSPC -> "ENOSPC no space left";
            case ENOSYS -> "ENOSYS not implemented";
            case ECONNREFUSED -> "ECONNREFUSED connection refused";
            default -> null;
        };
        return name != null ? name : "errno " + errno;
    }
}
