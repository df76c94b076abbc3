/* Bare-metal startup for the size example: vector table, .data copy, .bss clear, main. Only
 * the two vectors a reset needs; a real firmware uses its vendor's startup file. */
#include <stdint.h>
#include <string.h>

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;
int main(void);
void pd_example_reset(void);

__attribute__((section(".vectors"), used)) static const uintptr_t vectors[2] = {
    (uintptr_t)&_estack,
    (uintptr_t)&pd_example_reset,
};

void pd_example_reset(void)
{
    memcpy(&_sdata, &_sidata, (size_t)((uintptr_t)&_edata - (uintptr_t)&_sdata));
    memset(&_sbss, 0, (size_t)((uintptr_t)&_ebss - (uintptr_t)&_sbss));
    (void)main();
    for (;;) {
    }
}
