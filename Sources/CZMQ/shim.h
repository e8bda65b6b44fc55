// ZeroMQ (libzmq 4.3), the transport of the Jupyter messaging protocol. Headers only.
#include <zmq.h>
