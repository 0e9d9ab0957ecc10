# Alphacomm's PayPal API as a shop calls it: an OAuth2 token (client credentials), kept and
# reused until it expires, then create, status and capture with it.
require "json"
require "net/http"
require "uri"

class Alphacomm
  class Error < StandardError
    attr_reader :status, :body

    def initialize(status, body)
      @status = status
      @body = body
      super("Alphacomm answered #{status}: #{body}")
    end
  end

  def initialize(base_url, client_id, client_secret)
    @base = URI(base_url.chomp("/"))
    @client_id = client_id
    @client_secret = client_secret
    @token = nil
  end

  def create(body) = call(Net::HTTP::Post, "/api/paypal/create", body)
  def status(payment_id) = call(Net::HTTP::Get, "/api/paypal/status/#{payment_id}")
  def capture(payment_id) = call(Net::HTTP::Get, "/api/paypal/capture/#{payment_id}")

  private

  # One token for every call while it lasts; a 401 for it fetches a new one, once.
  def call(type, path, body = nil, renewed: false)
    request = type.new(path)
    request["Authorization"] = "Bearer #{token}"
    if body
      request["Content-Type"] = "application/json"
      request.body = JSON.generate(body)
    end
    response = http.request(request)
    if response.code == "401" && !renewed
      @token = nil
      return call(type, path, body, renewed: true)
    end
    raise Error.new(response.code.to_i, response.body) unless response.is_a?(Net::HTTPSuccess)
    JSON.parse(response.body)
  end

  def token
    @token ||= begin
      query = URI.encode_www_form(client_id: @client_id, client_secret: @client_secret,
                                  grant_type: "client_credentials")
      response = http.request(Net::HTTP::Get.new("/oauth/v2/token?#{query}"))
      raise Error.new(response.code.to_i, response.body) unless response.is_a?(Net::HTTPSuccess)
      JSON.parse(response.body).fetch("access_token")
    end
  end

  def http
    @http ||= Net::HTTP.start(@base.host, @base.port, open_timeout: 5, read_timeout: 10)
  end
end
