package io.vchan.bridge.ring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * A hostile server's {@code ring-ref} and {@code event-channel}: only what a
 * server writes ({@code "%d"} of a positive int) is a key; every other kind of
 * garbage is refused, and the refusal quotes it short and printable.
 */
class ServerKeysParsingTest {

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void whatAServerWritesIsTaken() throws Exception {
        assertEquals(8, ServerKeys.parseKey("ring-ref", ascii("8")));
        assertEquals(1234567, ServerKeys.parseKey("event-channel", ascii("1234567")));
        assertEquals(Integer.MAX_VALUE, ServerKeys.parseKey("ring-ref", ascii("2147483647")));
    }

    @TestFactory
    Stream<DynamicTest> garbageIsRefusedAndQuotedSafely() {
        byte[] big = new byte[4096];
        Arrays.fill(big, (byte) 'A');
        byte[] injection = ascii("5\n2026-12-04 WARN forged log line\u001b[31m");
        Object[][] cases = {
            {"a sign", ascii("+5"), "'+5'"},
            {"a negative number", ascii("-5"), "'-5'"},
            {"zero", ascii("0"), "'0'"},
            {"a leading zero", ascii("07"), "'07'"},
            {"a leading space", ascii(" 5"), "' 5'"},
            {"a trailing newline", ascii("5\n"), "'5\\x0a'"},
            {"hexadecimal", ascii("0x10"), "'0x10'"},
            {"above int", ascii("2147483648"), "'2147483648'"},
            {"eleven digits", ascii("99999999999"), "'99999999999'"},
            {"empty", new byte[0], "''"},
            {"4 KiB", big, "'" + "A".repeat(32) + "…' (4096 bytes)"},
            {"a forged log line", injection, "'5\\x0a2026-12-04 WARN forged log lin…' (38 bytes)"},
            {"a NUL", new byte[] {'5', 0}, "'5\\x00'"},
        };
        return Stream.of(cases).map(c -> DynamicTest.dynamicTest((String) c[0], () -> {
            VchanProtocolException e = assertThrows(VchanProtocolException.class,
                    () -> ServerKeys.parseKey("ring-ref", (byte[]) c[1]));
            assertEquals("ring-ref is " + c[2] + ": not a grant ref or port (a positive decimal number, as a"
                    + " server writes it)", e.getMessage());
            assertTrue(e.getMessage().length() < 200, "short: " + e.getMessage().length());
            assertFalse(e.getMessage().chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f), "no control character");
        }));
    }
}
