// pkg-config's -I/usr/include/mariadb makes these the MariaDB Connector/C headers (libmariadb-dev).
#include <mysql.h>
