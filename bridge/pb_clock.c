/* The wall clock in milliseconds (message timestamps and deadlines). */
#include <time.h>

#include "pb_bridge.h"

int64_t pb_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
