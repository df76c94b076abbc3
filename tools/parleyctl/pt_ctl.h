/* parleyctl: the exit status every module maps its outcome to (docs/parleyctl.md). */
#ifndef PT_CTL_H
#define PT_CTL_H

enum pt_ctl_exit {
    PT_CTL_EXIT_OK = 0,      /* done; for `access`, the access is allowed */
    PT_CTL_EXIT_REFUSED = 1, /* the API answered with an error, or `access` was denied */
    PT_CTL_EXIT_USAGE = 2,   /* bad options, names or files: nothing was sent */
    PT_CTL_EXIT_NOANSWER = 3 /* cannot connect, login refused, timeout, or a broken answer */
};

#endif
