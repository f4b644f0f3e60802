#ifndef OCPP_CEDITLINE_SHIM_H
#define OCPP_CEDITLINE_SHIM_H

// libedit's readline-compatible API. <editline/readline.h>, not <readline/readline.h>: GNU
// readline's headers may be installed too and do not match the library we link.
#include <stdio.h>
#include <editline/readline.h>

#endif
