package io.vchan.bridge.jna;

import static io.vchan.bridge.jna.Calls.nonNull;

import com.sun.jna.Pointer;
import io.vchan.bridge.xen.DomainId;
import io.vchan.bridge.xen.EventChannels;
import io.vchan.bridge.xen.EventWaiter;
import io.vchan.bridge.xen.GrantMapper;
import io.vchan.bridge.xen.GrantSharer;
import io.vchan.bridge.xen.ToolstackDomain;
import io.vchan.bridge.xen.XenException;
import io.vchan.bridge.xen.XenPlatform;
import io.vchan.bridge.xen.XenStore;
import java.nio.charset.StandardCharsets;

/**
 * Xen's libraries through JNA: the real ones on a Xen host, xensim's elsewhere.
 * On xensim a handle can be opened as any domain (both ends in one JVM); on
 * Xen only as the domain we run in.
 */
public final class JnaPlatform implements XenPlatform {

    private final boolean simulated;
    private final DomainId self;

    private JnaPlatform(boolean simulated, XensimOptions options) throws XenException {
        if (simulated) {
            XenLibraries.useXensimHost(options.hostDir());
        }
        this.simulated = XenLibraries.load(simulated, options.libraryDir());
        this.self = simulated ? options.domain().orElseGet(JnaPlatform::xensimDomain) : readOwnDomain();
    }

    /** Xen if this host runs on Xen, else xensim. */
    public static JnaPlatform detect() throws XenException {
        return new JnaPlatform(!xenPresent(), XensimOptions.DEFAULTS);
    }

    /** True on a Xen host: the event-channel device is there. */
    public static boolean xenPresent() {
        return XenLibraries.xenPresent();
    }

    public static JnaPlatform xen() throws XenException {
        return new JnaPlatform(false, XensimOptions.DEFAULTS);
    }

    public static JnaPlatform xensim() throws XenException {
        return new JnaPlatform(true, XensimOptions.DEFAULTS);
    }

    /** xensim with its host, libraries or own domain chosen by the caller instead of the environment. */
    public static JnaPlatform xensim(XensimOptions options) throws XenException {
        return new JnaPlatform(true, options);
    }

    @Override
    public String name() {
        return simulated ? "xensim" : "xen";
    }

    @Override
    public DomainId selfDomain() {
        return self;
    }

    private static DomainId xensimDomain() {
        String env = System.getenv("XENSIM_DOMID");
        if (env == null || env.isBlank()) {
            return DomainId.DOM0;
        }
        try {
            return DomainId.of(Integer.parseInt(env.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("XENSIM_DOMID is not a domain id: " + env, e);
        }
    }

    private DomainId readOwnDomain() throws XenException {
        Pointer h = nonNull(XenStoreLib.xs_open(0), "xs_open");
        try (JnaXenStore xs = new JnaXenStore(h, DomainId.DOM0)) {
            byte[] id = xs.read(0, "domid").orElseThrow(
                    () -> new XenException("xs_read", io.vchan.bridge.xen.Errno.ENOENT, "domid"));
            return DomainId.of(Integer.parseInt(new String(id, StandardCharsets.US_ASCII).trim()));
        }
    }

    private void checkSelf(DomainId domain) {
        if (!simulated && !domain.equals(self)) {
            throw new IllegalArgumentException("on Xen, handles open as the domain we run in ("
                    + self + "), not " + domain);
        }
    }

    @Override
    public EventChannels openEventChannels(DomainId domain) throws XenException {
        checkSelf(domain);
        Pointer h = simulated
                ? XensimLib.Evtchn.xensim_evtchn_open_as(null, 0, domain.value())
                : EvtchnLib.xenevtchn_open(null, 0);
        nonNull(h, "xenevtchn_open");
        try {
            return new JnaEventChannels(h, domain);
        } catch (XenException | RuntimeException e) {
            EvtchnLib.xenevtchn_close(h); // its fd could not be had: nothing else holds the handle
            throw e;
        }
    }

    @Override
    public GrantSharer openGrantSharer(DomainId domain) throws XenException {
        checkSelf(domain);
        Pointer h = simulated
                ? XensimLib.Gnttab.xensim_gntshr_open_as(null, 0, domain.value())
                : GnttabLib.xengntshr_open(null, 0);
        return new JnaGrantSharer(nonNull(h, "xengntshr_open"), domain);
    }

    @Override
    public GrantMapper openGrantMapper(DomainId domain) throws XenException {
        checkSelf(domain);
        Pointer h = simulated
                ? XensimLib.Gnttab.xensim_gnttab_open_as(null, 0, domain.value())
                : GnttabLib.xengnttab_open(null, 0);
        return new JnaGrantMapper(nonNull(h, "xengnttab_open"), domain);
    }

    @Override
    public XenStore openXenStore(DomainId domain) throws XenException {
        checkSelf(domain);
        Pointer h = simulated
                ? XensimLib.Store.xensim_xs_open_as(0, domain.value())
                : XenStoreLib.xs_open(0);
        return new JnaXenStore(nonNull(h, "xs_open"), domain);
    }

    @Override
    public EventWaiter newEventWaiter() throws XenException {
        return new PollWaiter();
    }

    /**
     * What the simulated host holds: connections, ports, grants, mappings,
     * watches, transactions, domains. For leak checks; xensim only.
     */
    public XensimStats xensimStats() throws XenException {
        if (!simulated) {
            throw new IllegalStateException("stats exist only on xensim");
        }
        int[] s = new int[7];
        Calls.nonNegative(XensimLib.Evtchn.xensim_stats(s), "xensim_stats");
        return new XensimStats(s[0], s[1], s[2], s[3], s[4], s[5], s[6]);
    }

    @Override
    public void close() {
        // Handles are closed by their owners; the libraries stay loaded.
    }

    @Override
    public boolean destroyShowsOnlyInStore(DomainId peer) throws XenException {
        return !simulated || XenPlatform.super.destroyShowsOnlyInStore(peer);
    }

    @Override
    public ToolstackDomain toolstackDomain(DomainId domain) throws XenException {
        if (!simulated) {
            return ToolstackDomain.UNMANAGED;
        }
        int state = Calls.nonNegative(XensimLib.Evtchn.xensim_domain_state(domain.value()), "xensim_domain_state");
        return switch (state) {
            case 1 -> ToolstackDomain.CREATED;
            case 2 -> ToolstackDomain.DESTROYED;
            default -> ToolstackDomain.UNMANAGED;
        };
    }

    /** As {@code xl create}: the domain exists until destroyed (xensim only; see its README). */
    public void xensimCreateDomain(DomainId domain) throws XenException {
        requireSimulated();
        Calls.nonNegative(XensimLib.Evtchn.xensim_domain_create(domain.value()), "xensim_domain_create");
    }

    /**
     * As {@code xl destroy}: no unmap notification, no event to the other ends;
     * its handles in this JVM fail from now (xensim only).
     */
    public void xensimDestroyDomain(DomainId domain) throws XenException {
        requireSimulated();
        Calls.nonNegative(XensimLib.Evtchn.xensim_domain_destroy(domain.value()), "xensim_domain_destroy");
    }

    private void requireSimulated() {
        if (!simulated) {
            throw new IllegalStateException("the toolstack calls exist only on xensim");
        }
    }

    /** Counters of a simulated host. */
    public record XensimStats(int connections, int ports, int grants, int mappings, int watches,
            int transactions, int domains) {
    }
}
