// SwiftPM drops pkg-config's -D flags, so the wide-character API is switched on here.
#define NCURSES_WIDECHAR 1
#define _XOPEN_SOURCE_EXTENDED 1
#include <locale.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <ncursesw/curses.h>

// Macros Swift cannot call, as functions.
static inline int ocpp_color_pair(int n) { return COLOR_PAIR(n); }
static inline int ocpp_lines(void) { return LINES; }
static inline int ocpp_cols(void) { return COLS; }
static inline WINDOW *ocpp_stdscr(void) { return stdscr; }
static inline int ocpp_key_resize(void) { return KEY_RESIZE; }
static inline int ocpp_attr_bold(void) { return A_BOLD; }
static inline int ocpp_attr_reverse(void) { return A_REVERSE; }
static inline int ocpp_attr_dim(void) { return A_DIM; }
static inline int ocpp_addstr(const char *s) { return addstr(s); }
static inline int ocpp_mvaddnstr(int y, int x, const char *s, int n) { return mvaddnstr(y, x, s, n); }
static inline int ocpp_attron(int a) { return attron(a); }
static inline int ocpp_attroff(int a) { return attroff(a); }
static inline int ocpp_move(int y, int x) { return move(y, x); }
static inline int ocpp_clrtoeol(void) { return clrtoeol(); }
static inline int ocpp_erase(void) { return erase(); }
static inline int ocpp_refresh(void) { return refresh(); }
static inline int ocpp_getch(void) { return getch(); }
static inline void ocpp_timeout(int ms) { timeout(ms); }

// The terminal's size as the kernel knows it, so a resize is seen even when SIGWINCH is not
// delivered to the thread that runs curses.
static inline int ocpp_terminal_size(int *rows, int *cols) {
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) != 0 || ws.ws_row == 0 || ws.ws_col == 0) return -1;
    *rows = ws.ws_row;
    *cols = ws.ws_col;
    return 0;
}
