package alerting

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/hookline/hookline/internal/alert"
	"github.com/hookline/hookline/internal/webhook"
)

// sendTimeout bounds one try to send a message.
const sendTimeout = 20 * time.Second

// job is a message for one channel.
type job struct {
	channel alert.Channel
	msg     Message
}

// sendLoop sends queued messages, each retried after the back-off waits;
// one that cannot be sent is logged once, with the last error.
func (s *Service) sendLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case j := <-s.jobs:
			err := s.sendRetrying(ctx, j)
			if err != nil && ctx.Err() == nil {
				s.log.Warn("alert not sent", "channel", j.channel.ID, "type", j.channel.Type,
					"alert", j.msg.Subject(), "tries", len(s.cfg.Backoff)+1, "err", err)
			}
			if s.sent != nil {
				s.sent(j, err)
			}
		}
	}
}

func (s *Service) sendRetrying(ctx context.Context, j job) error {
	var err error
	for try := 0; ; try++ {
		if err = s.send(ctx, j.channel, j.msg); err == nil {
			return nil
		}
		if try >= len(s.cfg.Backoff) {
			return err
		}
		s.log.Debug("alert not sent yet; retrying", "channel", j.channel.ID, "err", err, "in", s.cfg.Backoff[try])
		t := time.NewTimer(s.cfg.Backoff[try])
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// send makes one try.
func (s *Service) send(ctx context.Context, c alert.Channel, m Message) error {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	switch c.Type {
	case alert.TypeSlack:
		return s.postSlack(ctx, c.URL, m)
	case alert.TypeEmail:
		return s.mail(ctx, c.To, m)
	}
	return fmt.Errorf("unknown channel type %q", c.Type)
}

// Test sends a test message to c once, without retries, and returns why
// it could not.
func (s *Service) Test(ctx context.Context, c alert.Channel) error {
	return s.send(ctx, c, Message{Test: true, At: s.cfg.Now()})
}

// postSlack posts {"text": …}, which Slack, Mattermost, Rocket.Chat and
// Discord's /slack path all take.
func (s *Service) postSlack(ctx context.Context, u string, m Message) error {
	body, _ := json.Marshal(map[string]string{"text": m.Text()})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("bad URL: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Hookline-Alerts")
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		// The URL is a secret: the error names only its host.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("posting to %s: %w", req.URL.Host, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %s", req.URL.Host, webhook.StatusLine(resp.StatusCode))
	}
	return nil
}

// mail sends m to every address in to through the SMTP server: STARTTLS
// when the server offers it (smtp://), TLS from the start (smtps://), and
// the URL's user and password with AUTH PLAIN, which net/smtp sends only
// over TLS or to localhost.
func (s *Service) mail(ctx context.Context, to []string, m Message) error {
	if !s.cfg.SMTP.Enabled() {
		return errors.New("e-mail is not set up: start the server with --smtp-url and --smtp-from")
	}
	u, err := ParseSMTPURL(s.cfg.SMTP.URL)
	if err != nil {
		return err
	}
	host := u.Hostname()
	conn, err := s.cfg.Dial(ctx, "tcp", u.Host)
	if err != nil {
		return fmt.Errorf("connecting to the SMTP server %s: %w", u.Host, err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	tlsCfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if s.cfg.SMTP.TLS != nil {
		tlsCfg = s.cfg.SMTP.TLS.Clone()
		tlsCfg.ServerName = host
	}
	if u.Scheme == "smtps" {
		conn = tls.Client(conn, tlsCfg)
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("SMTP server %s: %w", u.Host, err)
	}
	defer c.Close()
	if err := c.Hello("hookline"); err != nil {
		return fmt.Errorf("SMTP server %s: %w", u.Host, err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok && u.Scheme == "smtp" {
		if err := c.StartTLS(tlsCfg); err != nil {
			return fmt.Errorf("SMTP server %s: STARTTLS: %w", u.Host, err)
		}
	}
	if u.User != nil {
		pass, _ := u.User.Password()
		if err := c.Auth(smtp.PlainAuth("", u.User.Username(), pass, host)); err != nil {
			return fmt.Errorf("SMTP server %s: authentication: %w", u.Host, err)
		}
	}
	if err := c.Mail(s.cfg.SMTP.From); err != nil {
		return fmt.Errorf("SMTP server %s: MAIL FROM: %w", u.Host, err)
	}
	for _, r := range to {
		if err := c.Rcpt(r); err != nil {
			return fmt.Errorf("SMTP server %s: RCPT TO %s: %w", u.Host, r, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("SMTP server %s: DATA: %w", u.Host, err)
	}
	if _, err := w.Write(mailBody(s.cfg.SMTP.From, to, m)); err != nil {
		return fmt.Errorf("SMTP server %s: %w", u.Host, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("SMTP server %s: %w", u.Host, err)
	}
	return c.Quit()
}

// mailBody is the message in RFC 5322 form, plain UTF-8 text.
func mailBody(from string, to []string, m Message) []byte {
	var b bytes.Buffer
	at := m.At
	if at.IsZero() {
		at = time.Now()
	}
	fmt.Fprintf(&b, "From: %s\r\n", from)
	fmt.Fprintf(&b, "To: %s\r\n", strings.Join(to, ", "))
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", strings.NewReplacer("\r", " ", "\n", " ").Replace(m.Subject())))
	fmt.Fprintf(&b, "Date: %s\r\n", at.UTC().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@hookline>\r\n", webhook.NewID("alert_"))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(m.Text(), "\n", "\r\n"))
	return b.Bytes()
}

// ParseSMTPURL checks an --smtp-url: smtp:// or smtps://, a host, and a
// port (587 or 465 when none is given).
func ParseSMTPURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" || u.Path != "" && u.Path != "/" {
		return nil, errors.New("want smtp://user:password@host:port (STARTTLS when offered) or smtps://… (TLS)")
	}
	if u.Port() == "" {
		port := "587"
		if u.Scheme == "smtps" {
			port = "465"
		}
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	return u, nil
}
