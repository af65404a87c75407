/* The admin socket (see rpc.h): the listening unix socket, adopted into
 * lws as a file descriptor so that the loop polls it; each readable event
 * accepts every waiting connection and adopts it as a raw socket.  A
 * connection buffers its input until a newline, answers each line with
 * eng_admin_handle() and queues the answer for RAW_WRITEABLE. */
#include "src/daemon/rpc.h"

#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "src/util/log.h"

#define SUB "rpc"

struct eng_rpc {
	const struct eng_api_host *h;
	struct lws_vhost *vh;
	int fd; /* the listener (owned by lws once adopted) */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* One connection (lws per-session data, zeroed by lws). */
struct rpc_conn {
	char *in;
	size_t in_len;
	uint8_t *out; /* LWS_PRE bytes of headroom, then the answers */
	size_t out_len, out_cap;
	bool close_after; /* an oversized line: close once answered */
};

size_t eng_rpc_session_size(void)
{
	return sizeof(struct rpc_conn);
}

/* path exists: a socket nobody answers on is stale (a daemon that died)
 * and removed; anything else is refused. */
static enum xu_code clear_stale(const char *path, struct xu_err *err)
{
	struct sockaddr_un sa;
	struct stat stt;
	int fd, r;

	if (lstat(path, &stt) != 0)
		return errno == ENOENT
			   ? XU_OK
			   : xu_fail(err, XU_EIO, errno, "--rpc-socket %s: %s",
				     path, strerror(errno));
	if (!S_ISSOCK(stt.st_mode))
		return xu_fail(err, XU_ECONFLICT, 0,
			       "--rpc-socket %s exists and is not a socket",
			       path);
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return xu_fail(err, XU_EIO, errno, "socket: %s",
			       strerror(errno));
	r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	close(fd);
	if (r == 0)
		return xu_fail(err, XU_ECONFLICT, 0,
			       "--rpc-socket %s: another process answers on it",
			       path);
	if (unlink(path) != 0)
		return xu_fail(err, XU_EIO, errno, "removing stale %s: %s",
			       path, strerror(errno));
	xu_info(SUB, "removed the stale socket %s", path);
	return XU_OK;
}

/* Binds and listens on path, mode 0600 from the start (umask). */
static enum xu_code listen_on(struct eng_rpc *r, struct xu_err *err)
{
	struct sockaddr_un sa;
	mode_t old;
	int rc;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, r->path, strlen(r->path));
	r->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (r->fd < 0)
		return xu_fail(err, XU_EIO, errno, "socket: %s",
			       strerror(errno));
	old = umask(0177);
	rc = bind(r->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc != 0 || chmod(r->path, 0600) != 0 || listen(r->fd, 16) != 0) {
		int e = errno;

		if (rc == 0)
			unlink(r->path);
		close(r->fd);
		r->fd = -1;
		return xu_fail(err, XU_EIO, e, "--rpc-socket %s: %s", r->path,
			       strerror(e));
	}
	return XU_OK;
}

enum xu_code eng_rpc_new(struct eng_rpc **out, struct lws_vhost *vh,
			 const char *path, const struct eng_api_host *h,
			 struct xu_err *err)
{
	struct eng_rpc *r;
	lws_sock_file_fd_type fd;
	enum xu_code rc;

	*out = NULL;
	if (!*path || strlen(path) >= sizeof(r->path))
		return xu_fail(err, XU_EINVAL, 0,
			       "--rpc-socket must be 1 to %zu bytes",
			       sizeof(r->path) - 1);
	r = calloc(1, sizeof(*r));
	if (!r)
		return xu_fail(err, XU_ENOMEM, 0, "out of memory");
	r->h = h;
	r->vh = vh;
	r->fd = -1;
	memcpy(r->path, path, strlen(path) + 1);
	rc = clear_stale(path, err);
	if (rc == XU_OK)
		rc = listen_on(r, err);
	if (rc != XU_OK) {
		free(r);
		return rc;
	}
	fd.filefd = r->fd;
	if (!lws_adopt_descriptor_vhost(vh, LWS_ADOPT_RAW_FILE_DESC, fd,
					ENG_RPC_PROTOCOL, NULL)) {
		close(r->fd);
		unlink(r->path);
		free(r);
		return xu_fail(err, XU_EIO, 0, "cannot adopt the admin socket");
	}
	xu_info(SUB, "admin socket %s", path);
	*out = r;
	return XU_OK;
}

void eng_rpc_free(struct eng_rpc *r)
{
	if (!r)
		return;
	unlink(r->path);
	free(r);
}

/* Accepts every waiting connection. */
static void accept_all(struct eng_rpc *r)
{
	lws_sock_file_fd_type fd;
	int c;

	while ((c = accept(r->fd, NULL, NULL)) >= 0) {
		if (fcntl(c, F_SETFL, O_NONBLOCK) != 0 ||
		    fcntl(c, F_SETFD, FD_CLOEXEC) != 0) {
			close(c);
			continue;
		}
		fd.sockfd = c;
		if (!lws_adopt_descriptor_vhost(r->vh, LWS_ADOPT_SOCKET, fd,
						ENG_RPC_PROTOCOL, NULL))
			xu_unusual(SUB, "cannot adopt an admin connection");
	}
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
		xu_unusual(SUB, "accept: %s", strerror(errno));
}

/* Appends s and a newline to the answers of c. */
static bool queue(struct rpc_conn *c, const char *s)
{
	size_t n = strlen(s), need = LWS_PRE + c->out_len + n + 1;

	if (need > c->out_cap) {
		size_t cap = need * 2;
		uint8_t *p = realloc(c->out, cap);

		if (!p)
			return false;
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + LWS_PRE + c->out_len, s, n);
	c->out[LWS_PRE + c->out_len + n] = '\n';
	c->out_len += n + 1;
	return true;
}

static bool answer(struct eng_rpc *r, struct rpc_conn *c, const char *line,
		   size_t len)
{
	json_t *v = eng_admin_handle(r->h, line, len);
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	bool ok =
	    queue(c, s ? s : "{\"ok\":false,\"error\":\"out of memory\"}");

	free(s);
	json_decref(v);
	return ok;
}

/* Input: answers every complete line.  Returns -1 to close. */
static int on_rx(struct eng_rpc *r, struct lws *wsi, struct rpc_conn *c,
		 const void *in, size_t len)
{
	char *nl, *p;

	if (c->close_after)
		return 0; /* discard until the answer is out */
	if (c->in_len + len > ENG_RPC_LINE_MAX) {
		c->close_after = true;
		if (!queue(c, "{\"ok\":false,\"error\":\"request line too "
			      "long\"}"))
			return -1;
		lws_callback_on_writable(wsi);
		return 0;
	}
	p = realloc(c->in, c->in_len + len);
	if (!p)
		return -1;
	c->in = p;
	memcpy(c->in + c->in_len, in, len);
	c->in_len += len;
	while ((nl = memchr(c->in, '\n', c->in_len))) {
		size_t n = (size_t)(nl - c->in);

		if (n && !answer(r, c, c->in, n))
			return -1;
		c->in_len -= n + 1;
		memmove(c->in, nl + 1, c->in_len);
	}
	if (c->out_len)
		lws_callback_on_writable(wsi);
	return 0;
}

static int on_writeable(struct lws *wsi, struct rpc_conn *c)
{
	if (c->out_len) {
		int n =
		    lws_write(wsi, c->out + LWS_PRE, c->out_len, LWS_WRITE_RAW);

		if (n < 0 || (size_t)n < c->out_len)
			return -1;
		c->out_len = 0;
	}
	return c->close_after ? -1 : 0;
}

int eng_rpc_callback(struct eng_rpc *r, struct lws *wsi, int reason, void *user,
		     void *in, size_t len)
{
	struct rpc_conn *c = user;

	switch (reason) {
	case LWS_CALLBACK_RAW_ADOPT_FILE:
		return 0;
	case LWS_CALLBACK_RAW_RX_FILE:
		if (!r)
			return -1;
		accept_all(r);
		return 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		return 0;
	case LWS_CALLBACK_RAW_ADOPT:
		return r ? 0 : -1;
	case LWS_CALLBACK_RAW_RX:
		if (!r || !c)
			return -1;
		return on_rx(r, wsi, c, in, len);
	case LWS_CALLBACK_RAW_WRITEABLE:
		return c ? on_writeable(wsi, c) : -1;
	case LWS_CALLBACK_RAW_CLOSE:
		if (c) {
			free(c->in);
			free(c->out);
			memset(c, 0, sizeof(*c));
		}
		return 0;
	default:
		return 0;
	}
}
