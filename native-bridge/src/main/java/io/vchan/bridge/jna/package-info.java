/**
 * Xen's three user-space libraries ({@code libxenevtchn}, {@code libxengnttab},
 * {@code libxenstore}) through JNA direct mapping: the real ones on a Xen host,
 * xensim's elsewhere (see {@link io.vchan.bridge.jna.JnaPlatform}).
 *
 * <p>Internal API for users of the connector, as the whole native bridge is: its
 * types may change in any release. The connector's API names none of them.
 */
package io.vchan.bridge.jna;
