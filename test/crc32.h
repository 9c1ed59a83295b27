/*
 * llmgw tests: CRC-32 (IEEE 802.3, zlib's crc32()) by table, for the event
 * stream decoder's tests and fuzzer; the module uses nginx's.
 */

#ifndef _LLMGW_TEST_CRC32_H_INCLUDED_
#define _LLMGW_TEST_CRC32_H_INCLUDED_

#include <stddef.h>
#include <stdint.h>


/* zlib-style: test_crc32(test_crc32(0, a), b) == test_crc32(0, ab) */

static uint32_t
test_crc32(uint32_t crc, const unsigned char *p, size_t len)
{
    int              k;
    uint32_t         c, n;

    static uint32_t  table[256];
    static int       ready;

    if (!ready) {
        for (n = 0; n < 256; n++) {
            c = n;

            for (k = 0; k < 8; k++) {
                c = (c & 1) ? 0xedb88320 ^ (c >> 1) : c >> 1;
            }

            table[n] = c;
        }

        ready = 1;
    }

    crc = ~crc;

    while (len--) {
        crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }

    return ~crc;
}

#endif /* _LLMGW_TEST_CRC32_H_INCLUDED_ */
