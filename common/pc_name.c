#include "pc_name.h"

#include <string.h>

/* One 256-entry table, so the hot path (every ACL check) is a load per byte. */
static const unsigned char name_char[256] = {
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1,
    ['I'] = 1, ['J'] = 1, ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
    ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1,
    ['Y'] = 1, ['Z'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
    ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1,
    ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1,
    ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1,
    ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1, ['_'] = 1, ['.'] = 1,
    ['-'] = 1,
};

bool pc_name_valid(const char *s, size_t len)
{
    if (s == NULL || len == 0 || len > PC_NAME_MAX) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!name_char[(unsigned char)s[i]]) {
            return false;
        }
    }
    return true;
}

bool pc_name_valid_str(const char *s)
{
    return s != NULL && pc_name_valid(s, strnlen(s, PC_NAME_MAX + 1));
}

const char *pc_name_error(const char *s)
{
    if (s == NULL || s[0] == '\0') {
        return "name is empty";
    }
    size_t len = strnlen(s, PC_NAME_MAX + 1);
    if (len > PC_NAME_MAX) {
        return "name is longer than 64 characters";
    }
    if (!pc_name_valid(s, len)) {
        return "name may only contain A-Z a-z 0-9 _ . -";
    }
    return NULL;
}
