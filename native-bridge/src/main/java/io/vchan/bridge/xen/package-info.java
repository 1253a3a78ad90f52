/**
 * What the protocol needs of Xen, as interfaces: grants to share and map,
 * event channels, XenStore, the domain ids; implemented by Xen's own libraries
 * through JNA ({@code io.vchan.bridge.jna}, also over xensim) and in the JVM
 * ({@code io.vchan.bridge.memory}).
 *
 * <p>Internal API for users of the connector, as the whole native bridge is: its
 * types may change in any release. The connector's API names none of them.
 */
package io.vchan.bridge.xen;
